"""SLA verdicts per period: on time, late or missed (pure; the sensor lives in compile/)."""
