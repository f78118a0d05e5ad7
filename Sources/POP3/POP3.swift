// Placeholder: replaced as the POP3 module lands.
