"""Opt-out, opt-in and help keywords: the whole trimmed body, case-insensitive, exact."""

from __future__ import annotations

from typing import Literal

Keyword = Literal["opt_out", "opt_in", "help"]

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
HELP = frozenset({"HELP", "INFO"})

AUTO_REPLIES: dict[str, str] = {
    "opt_out": "You have successfully been unsubscribed. You will not receive any more messages "
    "from this number. Reply START to resubscribe.",
    "opt_in": "You have successfully been re-subscribed to messages from this number. "
    "Reply HELP for help. Reply STOP to unsubscribe.",
    "help": "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
}


def classify(body: str) -> Keyword | None:
    """ "STOP" and " stop " match; "STOP PLEASE" and "stop." do not (as the major platforms)."""
    word = body.strip().upper()
    if word in OPT_OUT:
        return "opt_out"
    if word in OPT_IN:
        return "opt_in"
    if word in HELP:
        return "help"
    return None
