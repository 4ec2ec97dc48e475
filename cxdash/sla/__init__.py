"""Business hours and SLA policies (SPEC §2, §3): the configuration and the business-time
calendar that durations, due times and SLA outcomes are derived from."""
