package protoschema

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Deterministic is a dynamic protobuf message handed to rpcx's PBCodec. It
// implements gogo's proto.Marshaler, which PBCodec tries first, and marshals
// deterministically: fields in field-number order, the order generated Go
// code and protobufjs both write. (PBCodec's other path, proto.Marshal of a
// bare dynamicpb message, writes fields in random Go map order.)
type Deterministic struct{ *dynamicpb.Message }

// Marshal implements github.com/gogo/protobuf/proto.Marshaler.
func (m Deterministic) Marshal() ([]byte, error) {
	return marshal(m.Message)
}

func marshal(m *dynamicpb.Message) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(m)
}

// messageName names a message of one of the tables; it is the type parameter
// of typed, so that each service type is a distinct Go type whose zero value
// (which rpcx's server allocates by reflection) knows its descriptor.
type messageName interface {
	descriptor() protoreflect.MessageDescriptor
}

// typed is a lazily created dynamic message of the message N. Through
// embedding it gives a named Go type what rpcx's PBCodec needs: gogo's
// Marshaler (deterministic, as Deterministic) and Unmarshaler. Reset makes
// rpcx's server pool the value safely.
type typed[N messageName] struct{ m *dynamicpb.Message }

// Proto returns the underlying dynamic message, creating it if needed.
func (t *typed[N]) Proto() *dynamicpb.Message {
	if t.m == nil {
		var n N
		t.m = dynamicpb.NewMessage(n.descriptor())
	}
	return t.m
}

// Marshal implements github.com/gogo/protobuf/proto.Marshaler.
func (t *typed[N]) Marshal() ([]byte, error) { return marshal(t.Proto()) }

// Unmarshal implements github.com/gogo/protobuf/proto.Unmarshaler; it
// replaces the whole content.
func (t *typed[N]) Unmarshal(b []byte) error {
	t.m = nil
	return proto.Unmarshal(b, t.Proto())
}

// Reset clears the message (rpcx's server pools values that have Reset).
func (t *typed[N]) Reset() { t.m = nil }

func (t *typed[N]) field(name string) protoreflect.FieldDescriptor {
	return t.Proto().Descriptor().Fields().ByName(protoreflect.Name(name))
}

func (t *typed[N]) getInt32(name string) int32 { return int32(t.Proto().Get(t.field(name)).Int()) }

func (t *typed[N]) setInt32(name string, v int32) {
	t.Proto().Set(t.field(name), protoreflect.ValueOfInt32(v))
}

func (t *typed[N]) getString(name string) string { return t.Proto().Get(t.field(name)).String() }

func (t *typed[N]) setString(name, v string) {
	t.Proto().Set(t.field(name), protoreflect.ValueOfString(v))
}

type (
	arithArgsName   struct{}
	arithReplyName  struct{}
	echoMessageName struct{}
)

func (arithArgsName) descriptor() protoreflect.MessageDescriptor {
	return Arith.mustMessageDescriptor("ArithArgs")
}

func (arithReplyName) descriptor() protoreflect.MessageDescriptor {
	return Arith.mustMessageDescriptor("ArithReply")
}

func (echoMessageName) descriptor() protoreflect.MessageDescriptor {
	return Arith.mustMessageDescriptor("EchoMessage")
}

// ArithArgs is arith.ArithArgs {int32 a = 1; int32 b = 2;}.
type ArithArgs struct{ typed[arithArgsName] }

// NewArithArgs builds ArithArgs{a, b}.
func NewArithArgs(a, b int32) *ArithArgs {
	m := new(ArithArgs)
	m.setInt32("a", a)
	m.setInt32("b", b)
	return m
}

// A returns field a.
func (m *ArithArgs) A() int32 { return m.getInt32("a") }

// B returns field b.
func (m *ArithArgs) B() int32 { return m.getInt32("b") }

// ArithReply is arith.ArithReply {int32 c = 1;}.
type ArithReply struct{ typed[arithReplyName] }

// C returns field c.
func (m *ArithReply) C() int32 { return m.getInt32("c") }

// SetC sets field c.
func (m *ArithReply) SetC(c int32) { m.setInt32("c", c) }

// EchoMessage is arith.EchoMessage {string text = 1;}.
type EchoMessage struct{ typed[echoMessageName] }

// NewEchoMessage builds EchoMessage{text}.
func NewEchoMessage(text string) *EchoMessage {
	m := new(EchoMessage)
	m.SetText(text)
	return m
}

// Text returns field text.
func (m *EchoMessage) Text() string { return m.getString("text") }

// SetText sets field text.
func (m *EchoMessage) SetText(text string) { m.setString("text", text) }
