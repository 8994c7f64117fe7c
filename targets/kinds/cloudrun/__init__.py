"""kind: cloudrun -- a Cloud Run image, with Firebase Hosting in front.

Contract (cloud.google.com/run/docs/container-contract): listen on
0.0.0.0:$PORT (default 8080), SIGTERM then SIGKILL after 10 s. Hosting serves
the static files from public/ and rewrites everything else to the service.
"""
