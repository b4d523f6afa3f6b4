# syntax=docker/dockerfile:1
# The ukid-interop image: every service of the federation (`ukid registry serve`, `ukid idp serve`,
# `ukid rp serve`, `ukid onboard`...), as docker-compose.yml runs them. Three stages:
#   assets: the pages' front end (govuk-frontend, nhsuk-frontend) from npm, as package-lock.json pins it
#   build:  the project's wheel (templates, static files and migrations are package data), installed
#           with its dependencies into a virtual environment
#   final:  a slim Python with that environment and the front end's dist/ directories, run as an
#           unprivileged user; /data is each service's key directory (a named volume in compose)

FROM node:22-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
# the runtime packages only (the interoperability test's openid-client is a devDependency)
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY schemas/ schemas/
COPY federation/ federation/
COPY trust_registry/ trust_registry/
COPY idp/ idp/
COPY relying_party/ relying_party/
COPY ukid/ ukid/
RUN pip wheel --no-deps --wheel-dir /wheels . \
    && python -m venv /opt/ukid \
    && /opt/ukid/bin/pip install /wheels/ukid_interop-*.whl

FROM python:3.11-slim-bookworm
ENV PATH=/opt/ukid/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN groupadd --system --gid 10001 ukid \
    && useradd --system --uid 10001 --gid ukid --home-dir /app --no-create-home --shell /usr/sbin/nologin ukid
COPY --from=build /opt/ukid /opt/ukid
# the services find node_modules/<package>/dist under the current directory (frontend_dir unset)
WORKDIR /app
COPY --from=assets /src/node_modules/govuk-frontend/dist/ node_modules/govuk-frontend/dist/
COPY --from=assets /src/node_modules/nhsuk-frontend/dist/ node_modules/nhsuk-frontend/dist/
# a new named volume mounted on /data takes this directory's owner and mode
RUN install -d -o ukid -g ukid -m 0700 /data
USER ukid:ukid
ENTRYPOINT ["ukid"]
CMD ["--help"]
