from relaybox.surfaces.verify import requests, sms

routers = [sms.router, requests.router]
