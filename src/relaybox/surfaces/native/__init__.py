from relaybox.surfaces.native import (
    accounts,
    admin,
    numbers,
    projects_sms,
    simulator,
    sms,
    system,
    wallet,
    webhooks,
)

# The send route is matched first: routes are tried in order.
routers = [
    sms.router,
    accounts.router,
    admin.router,
    simulator.router,
    system.router,
    webhooks.router,
    numbers.router,
    projects_sms.router,
    wallet.router,
]
