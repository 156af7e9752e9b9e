package main

import "github.com/selfplay-swe/ssr/repos/plugin"

func main() { plugin.Serve(&python{}) }
