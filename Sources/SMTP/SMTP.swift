// Placeholder: replaced as the SMTP module lands.
