"""Placeholder: filled by the enterprise work."""

from dialogs.base import Dialog
from dialogs.registry import Intent

DIALOGS: list[Dialog] = []
INTENTS: list[Intent] = []
