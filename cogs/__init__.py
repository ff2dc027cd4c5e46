"""Discord adapters, one extension per feature: parse, call a service, act, render."""
