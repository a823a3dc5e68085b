"""Ports to the outside and their implementations: WeChat API, platform (local | http),
SMS, verification, the catalogue, the database and its cipher. May import
state_machines and knowledge (pure: the institution nicknames); never dialogs. The one
import upwards is adapters.factory reading config.settings."""
