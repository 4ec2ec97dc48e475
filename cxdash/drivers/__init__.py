"""Contact drivers (SPEC §2 `driver`, §3 "Drivers"): the driver map, its history, and driver
discovery from free-text reasons and contact texts."""
