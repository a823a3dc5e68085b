"""The composition root: settings in, a running bot out.

`runtime.py` builds the database, adapters, dialogs registry, message handler and push
worker (`build_runtime`); `app.py` puts the webhook, platform callbacks, health and
metrics on an aiohttp application around a built runtime (`build_app`); `serve.py` is
the start-up `server.py` runs (checks, banner, one process or several); `supervisor.py`
runs several processes on one port. `server.py`, the command line (`ops.cli`), the
benchmarks and the tests all build through here, so they cannot drift apart.

May import every package of the project (it is the one place that knows them all);
nothing but entry points and the operator surfaces imports it.
"""
