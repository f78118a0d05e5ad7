// Placeholder: replaced as the Config module lands.
