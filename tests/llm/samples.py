"""kubectl output samples (formats from kubernetes-facts §2) and @tool stand-ins serving them.

They let the policy and the HTTP tests run without the fake cluster; the end-to-end test against
the real cluster tools lives in test_policy_cluster.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from langchain_core.tools import BaseTool, tool

OOM_DESCRIBE = """Name:             checkout-6f7d8c9b5-x2x7q
Namespace:        shop
Priority:         0
Node:             kind-worker/172.18.0.3
Status:           Running
IP:               10.244.1.7
Containers:
  checkout:
    Container ID:   containerd://4f1c
    Image:          ghcr.io/acme/checkout:1.4.2
    Port:           8080/TCP
    State:          Waiting
      Reason:       CrashLoopBackOff
    Last State:     Terminated
      Reason:       OOMKilled
      Exit Code:    137
      Started:      Thu, 27 Feb 2025 07:36:21 +0100
      Finished:     Thu, 27 Feb 2025 07:36:22 +0100
    Ready:          False
    Restart Count:  5
    Limits:
      memory:  100Mi
    Requests:
      memory:     100Mi
    Environment:  <none>
Conditions:
  Type              Status
  Ready             False
Events:
  Type     Reason     Age                 From     Message
  ----     ------     ----                ----     -------
  Normal   Pulled     2m (x5 over 5m)     kubelet  Container image "ghcr.io/acme/checkout:1.4.2" already present on machine
  Warning  BackOff    10s (x20 over 5m)   kubelet  Back-off restarting failed container checkout in pod checkout-6f7d8c9b5-x2x7q_shop(1b2c)
"""

CRASH_DESCRIBE = """Name:             payments-5c9d7-abcde
Namespace:        shop
Node:             kind-worker/172.18.0.3
Status:           Running
Containers:
  payments:
    Image:          ghcr.io/acme/payments:2.0.0
    State:          Waiting
      Reason:       CrashLoopBackOff
    Last State:     Terminated
      Reason:       Error
      Exit Code:    1
    Ready:          False
    Restart Count:  4
Events:
  Type     Reason   Age                From     Message
  ----     ------   ----               ----     -------
  Warning  BackOff  8s (x9 over 2m)    kubelet  Back-off restarting failed container payments in pod payments-5c9d7-abcde_shop(9f)
"""
CRASH_LOGS = "starting payments service v2.0.0\nloading configuration\nEnvironment variable DATABASE_URL is undefined\n"

IMAGE_DESCRIBE = """Name:             web-7b9c-qq1
Namespace:        shop
Node:             kind-worker/172.18.0.3
Status:           Pending
Containers:
  web:
    Container ID:
    Image:          nginx:this-tag-does-not-exist
    Image ID:
    State:          Waiting
      Reason:       ImagePullBackOff
    Ready:          False
    Restart Count:  0
Events:
  Type     Reason     Age                From     Message
  ----     ------     ----               ----     -------
  Normal   Pulling    21s (x3 over 61s)  kubelet  Pulling image "nginx:this-tag-does-not-exist"
  Warning  Failed     21s (x3 over 61s)  kubelet  Failed to pull image "nginx:this-tag-does-not-exist": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:this-tag-does-not-exist": not found
  Warning  Failed     6s (x3 over 60s)   kubelet  Error: ImagePullBackOff
"""

PENDING_DESCRIBE = """Name:             batch-1
Namespace:        jobs
Node:             <none>
Status:           Pending
Containers:
  batch:
    Image:      busybox:1.36
    Requests:
      cpu:     64
Conditions:
  Type           Status
  PodScheduled   False
Events:          <none>
"""
PENDING_EVENTS = """LAST SEEN   TYPE      REASON             OBJECT        MESSAGE
22m         Warning   FailedScheduling   pod/batch-1   0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.
"""

HEALTHY_DESCRIBE = """Name:             api-1
Namespace:        default
Node:             kind-worker/172.18.0.3
Status:           Running
Containers:
  api:
    Image:          ghcr.io/acme/api:1.0
    State:          Running
      Started:      Thu, 27 Feb 2025 07:36:21 +0100
    Ready:          True
    Restart Count:  0
Events:           <none>
"""


def pods_table(*rows: tuple[str, str, str, str, str]) -> str:
    lines = [("NAME", "READY", "STATUS", "RESTARTS", "AGE"), *rows]
    widths = [max(len(r[i]) for r in lines) for i in range(5)]
    return (
        "\n".join("   ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in lines)
        + "\n"
    )


@dataclass
class Sample:
    """One namespace's canned kubectl outputs (pod -> text)."""

    namespace: str
    question: str
    pods: str
    describe: dict[str, str]
    logs: dict[str, str] = field(default_factory=dict)
    events: dict[str, str] = field(default_factory=dict)
    expected: tuple[str, ...] = ()


SAMPLES: dict[str, Sample] = {
    "oom": Sample(
        "shop",
        "Why is the checkout pod in namespace shop not running?",
        pods_table(
            ("checkout-6f7d8c9b5-x2x7q", "0/1", "CrashLoopBackOff", "5 (10s ago)", "5m"),
            ("cart-77c-1", "1/1", "Running", "0", "2d"),
        ),
        {"checkout-6f7d8c9b5-x2x7q": OOM_DESCRIBE},
        expected=("OOMKilled", "memory limit", "137", "100Mi"),
    ),
    "crash": Sample(
        "shop",
        "Why does the payments pod in namespace shop keep restarting?",
        pods_table(("payments-5c9d7-abcde", "0/1", "CrashLoopBackOff", "4 (8s ago)", "2m")),
        {"payments-5c9d7-abcde": CRASH_DESCRIBE},
        logs={"payments-5c9d7-abcde": CRASH_LOGS},
        expected=("CrashLoopBackOff", "exit code 1", "DATABASE_URL is undefined"),
    ),
    "image": Sample(
        "shop",
        "What is wrong with the web pod in the shop namespace?",
        pods_table(("web-7b9c-qq1", "0/1", "ImagePullBackOff", "0", "61s")),
        {"web-7b9c-qq1": IMAGE_DESCRIBE},
        expected=("ImagePullBackOff", "nginx:this-tag-does-not-exist", "not found"),
    ),
    "pending": Sample(
        "jobs",
        "Why is the batch pod in namespace jobs stuck?",
        pods_table(("batch-1", "0/1", "Pending", "0", "22m")),
        {"batch-1": PENDING_DESCRIBE},
        events={"batch-1": PENDING_EVENTS},
        expected=("Pending", "Insufficient cpu"),
    ),
    "healthy": Sample(
        "default",
        "Is anything wrong with the api pod?",
        pods_table(("api-1", "1/1", "Running", "0", "3d")),
        {"api-1": HEALTHY_DESCRIBE},
        expected=("No problem found", "healthy"),
    ),
}


def sample_tools(sample: Sample, calls: list[str] | None = None) -> list[BaseTool]:
    """The course's five tool signatures, answering from ``sample`` (``calls`` records names)."""
    log = calls if calls is not None else []

    def known(pod_name: str, namespace: str) -> str | None:
        if namespace != sample.namespace or pod_name not in sample.describe:
            return f'Error from server (NotFound): pods "{pod_name}" not found'
        return None

    @tool
    def list_pods(namespace: str = "default") -> str:
        """List the pods of a namespace (kubectl get pods)."""
        log.append("list_pods")
        return (
            sample.pods if namespace == sample.namespace else f"No resources found in {namespace} namespace."
        )

    @tool
    def get_pod_status(pod_name: str, namespace: str = "default") -> str:
        """One pod's status line."""
        log.append("get_pod_status")
        return known(pod_name, namespace) or sample.pods

    @tool
    def describe_pod(pod_name: str, namespace: str = "default") -> str:
        """kubectl describe pod."""
        log.append("describe_pod")
        return known(pod_name, namespace) or sample.describe[pod_name]

    @tool
    def get_pod_logs(
        pod_name: str,
        namespace: str = "default",
        container: str | None = None,
        previous: bool = False,
        tail: int = 100,
    ) -> str:
        """kubectl logs."""
        log.append("get_pod_logs")
        return known(pod_name, namespace) or sample.logs.get(pod_name, "")

    @tool
    def get_events(namespace: str = "default", pod_name: str | None = None) -> str:
        """kubectl get events."""
        log.append("get_events")
        return sample.events.get(pod_name or "", f"No resources found in {namespace} namespace.")

    return [list_pods, get_pod_status, describe_pod, get_pod_logs, get_events]
