"""Masking for replies: the functions live in adapters.masking, where the adapters that
store and push text (SMS, the local platform) can use the same ones."""

from adapters.masking import mask_account, mask_id, mask_phone, mask_text, strip_invisible

__all__ = ["mask_account", "mask_id", "mask_phone", "mask_text", "strip_invisible"]
