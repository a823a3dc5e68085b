"""The one operator layer the CLI and the console call: each operator action is a plain
async function or method here, taking values and returning values (or raising an error
whose message is the Chinese reason to show), with no printing and no HTTP.

- ops.actions.faq: unanswered questions grouped, FAQ edits (add a phrasing, a new entry,
  dismiss) stored with who and when and live in every server process, the edit history.
"""
