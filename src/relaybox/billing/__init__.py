"""Money: the wallet ledger, holds for messages, number subscriptions, the SIP balance."""
