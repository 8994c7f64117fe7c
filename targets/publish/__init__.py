"""What publishing shares across kinds.

  steps.py   what one publish step is (pure data)
  gate.py    only what passed smoke, unchanged since, may be published (pure)
  images.py  push an image under its tags and verify the registry holds that digest
"""
