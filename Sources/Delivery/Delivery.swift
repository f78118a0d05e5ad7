// Placeholder: replaced as the Delivery module lands.
