"""What every kind's build shares.

  job.py     BuildJob: render helpers and the image contexts a render declares (pure)
  images.py  building the declared images (Docker)
  source.py  checking and copying the app's source
  templates/ the Python image Dockerfile every kind extends
"""
