"""The Bird dialect (spec 004): organizations (our accounts) and workspaces (our sub-accounts)."""

from relaybox.surfaces.bird import numbers, webhooks

routers = [webhooks.router, numbers.router]
