"""deploy_agrees.py REPO UID: the Kubernetes manifests agree with the image and the server they run.

kubernetes-validate checks the manifests' shape; this checks what a schema cannot: the uid the Dockerfile
runs as, the flags that make replicas safe, the health route the server serves, the version pyproject
releases. Prints one line per manifest, or every disagreement and exits 1. Needs PyYAML (which
kubernetes-validate installs).
"""

import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import yaml

repo, uid = Path(sys.argv[1]), int(sys.argv[2])
problems: list[str] = []


def need(ok: bool, message: str) -> None:
    if not ok:
        problems.append(message)


def manifest(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((repo / "deploy" / name).read_text("utf-8"))
    return document


version = tomllib.loads((repo / "pyproject.toml").read_text("utf-8"))["project"]["version"]
dockerfile = (repo / "Dockerfile").read_text("utf-8")
need(f"USER {uid}:{uid}" in dockerfile, f"the Dockerfile does not run as USER {uid}:{uid}")

deployment = manifest("deployment.yaml")
pod = deployment["spec"]["template"]["spec"]
(container,) = pod["containers"]
args = container["args"]
need(deployment["spec"]["replicas"] >= 2, "fewer than two replicas")
need("--stateless" in args, "the replicas do not run --stateless")
need(args[args.index("--transport") + 1] == "streamable-http", "the transport is not streamable-http")
port = int(args[args.index("--port") + 1])
need(container["ports"] == [{"name": "http", "containerPort": port}], f"containerPort is not --port {port}")
for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
    need(container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}, f"{probe} is not GET /healthz")
need(pod["securityContext"]["runAsNonRoot"] is True, "runAsNonRoot is not set")
need(pod["securityContext"]["runAsUser"] == uid, f"runAsUser is not {uid}")
need(container["securityContext"]["readOnlyRootFilesystem"] is True, "the root filesystem is writable")
need(container["securityContext"]["allowPrivilegeEscalation"] is False, "privilege escalation is allowed")
tag = re.sub(r"^.*:", "", container["image"])
need(tag == version, f"the image tag {tag} is not pyproject's version {version}")
secrets = {env["name"] for env in container["env"] if "secretKeyRef" in env.get("valueFrom", {})}
need({"CATENA_CLIENT_SECRET", "CATENA_MCP_AUTH_TOKEN"} <= secrets, "a secret is not read from the Secret")

service = manifest("service.yaml")
need(service["spec"]["sessionAffinity"] == "None", "the Service has session affinity")
need(service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"], "Service selects no pod")
need(service["spec"]["ports"][0]["targetPort"] == "http", "the Service does not target the http port")

if problems:
    sys.exit("deploy/ disagrees:\n  " + "\n  ".join(problems))
print(
    f"deploy/ agrees: {deployment['spec']['replicas']} replicas, --stateless, probes on /healthz, "
    f"uid {uid}, read-only root, image tag {version}"
)
