-- The temperature read on a returned unit when it arrives back (°C). NULL on returns
-- recorded before the reading was asked for.
ALTER TABLE unit_returns ADD COLUMN temperature_c REAL;
