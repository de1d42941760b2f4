// Command go-nulls lists, for every struct type the Kubernetes API serves (client-go's scheme,
// k8s.io/api v0.36), the JSON fields that encoding/json can write as null: a slice, map,
// pointer or interface without omitempty/omitzero, or a metav1.Time/MicroTime without
// omitempty (their MarshalJSON writes a zero value as null). Also map fields whose values
// can be null. Output: {definition: {field: "field"|"values"}} as JSON, definition names as
// /openapi/v2 spells them. tests/codegen/test_go_nulls.py reads the committed nulls.json.
//
//	cd tests/data/go-nulls && GOFLAGS=-mod=mod go run . > nulls.json
package main

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
)

var (
	timeType  = reflect.TypeOf(metav1.Time{})
	microType = reflect.TypeOf(metav1.MicroTime{})
)

func definition(t reflect.Type) string {
	path := t.PkgPath()
	host, rest, _ := strings.Cut(path, "/")
	parts := strings.Split(host, ".")
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, ".") + "." + strings.ReplaceAll(rest, "/", ".") + "." + t.Name()
}

func nilable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface:
		return true
	}
	if t == timeType || t == microType {
		return true
	}
	// runtime.RawExtension and apiextensions JSON: MarshalJSON writes a nil Raw as null.
	if t.Kind() != reflect.Struct {
		return false
	}
	raw, ok := t.FieldByName("Raw")
	return ok && raw.Type == reflect.TypeOf([]byte(nil))
}

func main() {
	out := map[string]map[string]string{}
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map || t.Kind() == reflect.Array {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] || nilable(t) {
			return
		}
		seen[t] = true
		fields := map[string]string{}
		var add func(t reflect.Type)
		add = func(t reflect.Type) {
			for i := 0; i < t.NumField(); i++ {
				f := t.Field(i)
				tag := f.Tag.Get("json")
				if tag == "-" || !f.IsExported() {
					continue
				}
				parts := strings.Split(tag, ",")
				name := parts[0]
				opts := strings.Join(parts[1:], ",")
				if f.Anonymous && f.Type.Kind() == reflect.Struct && (name == "" || strings.Contains(opts, "inline")) {
					add(f.Type)
					continue
				}
				if name == "" {
					name = f.Name
				}
				omit := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
				if !omit && nilable(f.Type) {
					fields[name] = "field"
				} else if f.Type.Kind() == reflect.Map && nilable(f.Type.Elem()) {
					fields[name] = "values"
				}
				walk(f.Type)
			}
		}
		add(t)
		if len(fields) > 0 {
			out[definition(t)] = fields
		}
	}
	for _, t := range scheme.Scheme.AllKnownTypes() {
		walk(t)
	}
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", " ")
	if err := encoder.Encode(out); err != nil {
		panic(err)
	}
}
