module github.com/rpcx-ts/conformance

go 1.26.0

require (
	github.com/smallnest/rpcx v1.9.4 // indirect
	github.com/vmihailenco/msgpack/v5 v5.4.1 // indirect
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
	google.golang.org/protobuf v1.36.4 // indirect
)
