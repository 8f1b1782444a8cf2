"""Alert intake: monitoring webhooks (Alertmanager, Grafana, generic JSON) become alerts and incidents."""
