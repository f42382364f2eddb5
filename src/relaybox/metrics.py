"""Prometheus metrics. Served at /metrics (operator keys)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "relaybox_http_requests_total",
    "HTTP requests by route template, method and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "relaybox_http_request_duration_seconds",
    "HTTP request latency by route template.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)
JOBS_PROCESSED = Counter(
    "relaybox_jobs_processed_total",
    "Job executions by kind and outcome (done, retry, dead).",
    ["kind", "outcome"],
    registry=REGISTRY,
)
JOBS_BY_STATE = Gauge(
    "relaybox_jobs",
    "Jobs in the table by state, read at scrape time.",
    ["state"],
    registry=REGISTRY,
)
