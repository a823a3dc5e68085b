"""Accounts, certification, authorisation and web login of the local platform."""


class AccountsMixin:
    pass
