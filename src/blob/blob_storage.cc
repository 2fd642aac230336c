// Placeholder compilation unit until the first backend lands.
