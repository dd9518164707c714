package store

// TEMPORARY until the gob codec moves into package store (branch
// t-pgstore): encoding/gob directly, without the codec's shape checks.

import (
	"bytes"
	"encoding/gob"
	"fmt"
)

func init() {
	gob.Register(map[string]any{})
	gob.Register([]any{})
}

type gobFileCodec struct{}

func (gobFileCodec) Encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (gobFileCodec) Decode(data []byte) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("gob: %v", r)
		}
	}()
	err = gob.NewDecoder(bytes.NewReader(data)).Decode(&v)
	return v, err
}
