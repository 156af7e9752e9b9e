// Package pb holds the wire form of the language-plugin protocol: language.proto and the code protoc
// generates from it. It is internal; package plugin converts between these types and its public ones.
//
// To regenerate (protoc 3.21+ on PATH):
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.0
//	go generate ./repos/plugin/internal/pb
package pb

//go:generate protoc --proto_path=. --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative language.proto
