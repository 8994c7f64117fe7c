"""kind: functions -- a Google Cloud Functions (Python) source zip.

Contract (functions docs, functions-framework-python): main.py and
requirements.txt (listing functions-framework) at the zip's root; the entry
point is a plain function taking a flask.Request, which here runs the app's
whole WSGI stack (middleware included) on that request's environ. An app whose
own module is main.py keeps it: the entry is then flaskship_main.py, which the
build-time variable GOOGLE_FUNCTION_SOURCE names on the platform (Google's
buildpacks) and `--source` names to functions-framework. Limits: 100 MB
zipped, 500 MB unzipped. Smoke runs the real functions-framework in a
container built from the zip; publish uploads the zip to a GCS bucket (gcs.py).
"""
