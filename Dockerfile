# catena-mcp as a container image: stdio by default, the way MCP clients launch servers
# (`docker run -i --rm IMAGE`), Streamable HTTP with `--transport streamable-http --host 0.0.0.0 --stateless`.
#
# The build is offline: it installs from wheels built on the host, for the Python of BASE
# (3.12 for the default base; .ci/container shows how to fetch them for another version):
#   python3.12 -m pip wheel -w wheels .
#   docker build -t catena-mcp .
# Any Debian-like base with python3 and its venv module works: --build-arg BASE=...
ARG BASE=python:3.12-slim-bookworm

FROM ${BASE} AS build
COPY wheels/ /wheels/
# Byte-code is compiled here, so the image runs on a read-only root filesystem; pip leaves with the build.
RUN python3 -m venv /opt/catena-mcp \
    && /opt/catena-mcp/bin/pip install --no-cache-dir --no-index --find-links /wheels catena-mcp \
    && /opt/catena-mcp/bin/pip uninstall --yes pip \
    && /opt/catena-mcp/bin/catena-mcp --version

FROM ${BASE}
LABEL io.modelcontextprotocol.server.name="io.github.catena-mcp/catena-mcp" \
      org.opencontainers.image.title="catena-mcp" \
      org.opencontainers.image.description="MCP server that explains Catena Telematics resource operations and their failed attempts" \
      org.opencontainers.image.licenses="MIT"
COPY --from=build /opt/catena-mcp /opt/catena-mcp
# A fixed numeric uid, so Kubernetes can verify runAsNonRoot; no home, no shell, nothing to write.
RUN echo 'app:x:10001:10001:catena-mcp:/nonexistent:/usr/sbin/nologin' >> /etc/passwd \
    && echo 'app:x:10001:' >> /etc/group
USER 10001:10001
ENV PATH=/opt/catena-mcp/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# The server reads an optional .env from its working directory: none here, configure with -e / env.
WORKDIR /
EXPOSE 8000
ENTRYPOINT ["catena-mcp"]
