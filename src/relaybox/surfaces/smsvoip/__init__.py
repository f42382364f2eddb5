from relaybox.surfaces.smsvoip import public, rates, sms, voip

routers = [public.router, sms.router, rates.router, voip.router]
