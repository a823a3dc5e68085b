"""Placeholder: filled by the demand_publish work."""

from dialogs.base import Dialog
from dialogs.registry import Intent

DIALOGS: list[Dialog] = []
INTENTS: list[Intent] = []
