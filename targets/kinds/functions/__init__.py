"""kind: functions -- a Google Cloud Functions (Python) source zip.

Contract (functions docs, functions-framework-python): main.py and
requirements.txt (listing functions-framework) at the zip's root; the entry
point is a plain function taking a flask.Request, which here routes the
request through the whole Flask app. Limits: 100 MB zipped, 500 MB unzipped.
Smoke runs the real functions-framework in a container built from the zip;
publish uploads the zip to a GCS bucket (gcs.py).
"""
