// Placeholder: replaced as the LoftServer module lands.
