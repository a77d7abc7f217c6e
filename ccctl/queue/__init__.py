"""The universal queue: work items from every channel, routing, claims and SLA."""
