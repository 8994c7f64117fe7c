"""kind: heroku -- a container image for Heroku's container runtime, plus heroku.yml.

Contract (devcenter: container-registry-and-runtime, dyno-shutdown-behavior):
bind the random $PORT within 60 s, run as whatever non-root uid the dyno
gets, take the worker count from WEB_CONCURRENCY, SIGTERM then SIGKILL after
30 s. EXPOSE, HEALTHCHECK, VOLUME and STOPSIGNAL are ignored, so the image
relies on none of them. The registry takes Docker v2 schema 2 manifests only;
a release is a PATCH of the formation (platform_api.py).
"""
