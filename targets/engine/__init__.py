"""Shared engine code: everything that talks to Docker or to a registry.

  docker_client.py  the engine client, labels, image builds, labelled containers
  base_images.py    base images: present, pulled, or a local stand-in; probing their Python
  wheelhouse.py     dependencies resolved on the host into wheels for an image
  resolve.py        the download loop: binary wheels first, sdists for what has none
  fromsource.py     one sdist -> one wheel (built on the host if pure, else in the builder), cached
  builder.py        the builder image (the target's base + compilers) and its offline compile container
  sdists.py         the pure parts: build requirements, compiler output, cache keys
  markers.py        a hashed lock's lines as they apply to one target (its Python, its platform)
  venv.py           an image's installed dependencies, made on the host (uv) as the tar its Dockerfile ADDs
  sbom.py           a CycloneDX SBOM of an image's venv (cyclonedx-py)
  registry_push.py  docker push, with every stream chunk checked and retries
  registry_http.py  the registry HTTP API: verify digests, skip pushes already done
"""
