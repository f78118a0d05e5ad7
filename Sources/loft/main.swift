print("loft")
