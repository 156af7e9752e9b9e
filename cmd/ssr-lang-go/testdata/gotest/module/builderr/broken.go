package builderr

func Broken() int { return "not an int" }
