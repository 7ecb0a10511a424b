package sandbox

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/ssh"
)

// The world file is decoded by walking the YAML node tree alongside the Go
// types, so that every problem can name its line and the key it is about.
// Struct tags drive it:
//
//	yaml:"key"       the key (yaml:"-" and untagged fields are not keys)
//	required:"true"  the key must be present
//	default:"v"      value when the key is absent
//	oneof:"A|B"      allowed values, matched case-insensitively and stored as written here
//	check:"name"     a value check (see checkValue)
//
// A struct field named Line receives the line the struct starts on.

const maxProblems = 20

// problem is one error in a world file.
type problem struct {
	source string
	line   int
	msg    string
}

func (p *problem) Error() string {
	if p.line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.source, p.line, p.msg)
	}
	return fmt.Sprintf("%s: %s", p.source, p.msg)
}

type decoder struct {
	source string
	errs   []error
	keys   map[reflect.Type]structKeys // keysOf each struct type met, built once
}

func (d *decoder) errorf(line int, format string, args ...any) {
	if len(d.errs) == maxProblems {
		d.errs = append(d.errs, &problem{source: d.source, msg: "too many problems; stopping here"})
	}
	if len(d.errs) > maxProblems {
		return
	}
	d.errs = append(d.errs, &problem{source: d.source, line: line, msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	return errors.Join(d.errs...)
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (d *decoder) decodeDocument(data []byte, w *World) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[1])
			d.errorf(n, "%s", m[2])
		} else {
			d.errorf(0, "%s", strings.TrimPrefix(msg, "yaml: "))
		}
		return
	}
	v := reflect.ValueOf(w).Elem()
	setDefaults(v)
	if doc.Kind == 0 || len(doc.Content) == 0 {
		d.errorf(0, "the world file is empty")
		return
	}
	d.decodeValue(doc.Content[0], v, nil)
}

// collections are the list keys whose elements are resources: a location in
// a message is given from the innermost one, e.g. "virtualMachines[0].ssh".
var collections = []string{"subscriptions[", "resourceGroups[", "workspaces[", "computes[", "virtualMachines[",
	"hdinsightClusters[", "batchAccounts[", "databricksWorkspaces[", "dataLakeAnalyticsAccounts[", "aksClusters[",
	"connectedClusters[", "synapseWorkspaces["}

func where(path []string) string {
	if len(path) == 0 {
		return "at the top level"
	}
	start := 0
	for i, seg := range path {
		for _, c := range collections {
			if strings.HasPrefix(seg, c) {
				start = i
			}
		}
	}
	return "in " + strings.Join(path[start:], ".")
}

// at names a key for a value message: `powerState in virtualMachines[0]`.
func at(path []string) string {
	if len(path) == 0 {
		return "the document"
	}
	last := path[len(path)-1]
	if len(path) == 1 {
		return last
	}
	return last + " " + where(path[:len(path)-1])
}

// secretKeys are keys whose values may be secrets: a message about them
// never quotes the value.
var secretKeys = map[string]bool{"password": true, "tokens": true, "expiredTokens": true, "privateKeyData": true,
	"databricksAccessToken": true, "administratorAccount": true, "users": true}

// describeAt is describe for the value at path, hiding what may be a secret.
func describeAt(n *yaml.Node, path []string) string {
	if n.Kind == yaml.ScalarNode {
		for _, seg := range path {
			if i := strings.IndexByte(seg, '['); i >= 0 {
				seg = seg[:i]
			}
			if secretKeys[seg] {
				return "a value (not shown: it may be a secret)"
			}
		}
	}
	return describe(n)
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "something else"
}

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

type pair struct {
	key, val *yaml.Node
	merged   bool
}

// seenKeys finds duplicate keys in a mapping. A key written in the mapping
// may override one that came from a merge (<<), as YAML allows.
type seenKeys map[string]pair

func (s seenKeys) add(p pair) (firstLine int, dup bool) {
	prev, ok := s[p.key.Value]
	s[p.key.Value] = p
	if ok && !prev.merged && !p.merged {
		return prev.key.Line, true
	}
	return 0, false
}

// pairs returns a mapping's key/value pairs, merged ones ("<<: *anchor") first.
func (d *decoder) pairs(n *yaml.Node, merged bool) []pair {
	var own, fromMerge []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			fromMerge = append(fromMerge, d.mergedPairs(k, v)...)
			continue
		}
		own = append(own, pair{key: k, val: v, merged: merged})
	}
	return append(fromMerge, own...)
}

// mergedPairs are the pairs a merge key (k, "<<") brings in from v: one
// mapping, or a list of them.
func (d *decoder) mergedPairs(k, v *yaml.Node) []pair {
	v = resolve(v)
	switch v.Kind {
	case yaml.MappingNode:
		return d.pairs(v, true)
	case yaml.SequenceNode:
		var out []pair
		for _, m := range v.Content {
			if m = resolve(m); m.Kind == yaml.MappingNode {
				out = append(out, d.pairs(m, true)...)
			}
		}
		return out
	}
	d.errorf(k.Line, "a merge (<<) needs a mapping, got %s", describe(v))
	return nil
}

// decodeValue decodes node n into v, whose type says what n must be; path
// names the value in messages. A null leaves v as it is (its default).
func (d *decoder) decodeValue(n *yaml.Node, v reflect.Value, path []string) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		d.decodePointer(n, v, path)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		d.decodeList(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.String, reflect.Bool, reflect.Int, reflect.Float64:
		d.decodeScalar(n, v, path)
	default:
		d.errorf(n.Line, "%s: cannot be decoded (internal: %s)", at(path), v.Kind())
	}
}

// decodePointer decodes into a new value, with its defaults, that v points to.
func (d *decoder) decodePointer(n *yaml.Node, v reflect.Value, path []string) {
	nv := reflect.New(v.Type().Elem())
	setDefaults(nv.Elem())
	d.decodeValue(n, nv.Elem(), path)
	v.Set(nv)
}

// decodeList decodes a sequence into the slice v, each item starting from
// its defaults and named name[i] in messages.
func (d *decoder) decodeList(n *yaml.Node, v reflect.Value, path []string) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n.Line, "%s: want a list, got %s", at(path), describeAt(n, path))
		return
	}
	last := "items"
	if len(path) > 0 {
		last = path[len(path)-1]
	}
	parent := path[:max(len(path)-1, 0)]
	s := reflect.MakeSlice(v.Type(), 0, len(n.Content))
	for i, c := range n.Content {
		e := newDefault(v.Type().Elem())
		ip := appendPath(parent, fmt.Sprintf("%s[%d]", last, i))
		if r := resolve(c); e.Kind() == reflect.Struct && isNull(r) {
			// A bare "-" would otherwise slip past the required keys.
			d.errorf(r.Line, "%s: the item is empty; give its keys or remove the \"-\"", at(ip))
			continue
		}
		d.decodeValue(c, e, ip)
		s = reflect.Append(s, e)
	}
	v.Set(s)
}

// decodeMap decodes a mapping with keys of the user's choosing (users of a
// simulated host, providers) into the map v; each value is named
// parent.key in messages, and a struct value gets its key's line.
func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path []string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n.Line, "%s: want a mapping, got %s", at(path), describeAt(n, path))
		return
	}
	m := reflect.MakeMap(v.Type())
	seen := seenKeys{}
	for _, p := range d.pairs(n, false) {
		k := p.key.Value
		if p.key.Kind != yaml.ScalarNode || k == "" {
			d.errorf(p.key.Line, "%s: keys must be plain names", at(path))
			continue
		}
		if l, dup := seen.add(p); dup {
			d.errorf(p.key.Line, "duplicate key %q %s (first at line %d)", k, where(path), l)
			continue
		}
		e := newDefault(v.Type().Elem())
		d.decodeValue(p.val, e, appendPath(path[:max(len(path)-1, 0)], lastOf(path)+"."+k))
		if e.Kind() == reflect.Struct {
			if f := e.FieldByName("Line"); f.IsValid() && f.Int() == 0 {
				f.SetInt(int64(p.key.Line))
			}
		}
		m.SetMapIndex(reflect.ValueOf(k), e)
	}
	v.Set(m)
}

// decodeScalar decodes a text, true/false, whole number or number value;
// YAML's own tag must agree with what v holds (a quoted "3" is not a number).
func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, path []string) {
	scalar := n.Kind == yaml.ScalarNode
	tag := n.ShortTag()
	switch v.Kind() {
	case reflect.String:
		if !scalar {
			d.errorf(n.Line, "%s: want a text value, got %s", at(path), describeAt(n, path))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if !scalar || tag != "!!bool" || err != nil {
			d.errorf(n.Line, "%s: want true or false, got %s", at(path), describeAt(n, path))
			return
		}
		v.SetBool(b)
	case reflect.Int:
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if !scalar || tag != "!!int" || err != nil {
			d.errorf(n.Line, "%s: want a whole number, got %s", at(path), describeAt(n, path))
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if !scalar || (tag != "!!int" && tag != "!!float") || err != nil {
			d.errorf(n.Line, "%s: want a number, got %s", at(path), describeAt(n, path))
			return
		}
		v.SetFloat(f)
	}
}

// newDefault is a new value of type t with its default-tagged fields set.
func newDefault(t reflect.Type) reflect.Value {
	e := reflect.New(t).Elem()
	setDefaults(e)
	return e
}

func lastOf(path []string) string {
	if len(path) == 0 {
		return ""
	}
	return path[len(path)-1]
}

func appendPath(path []string, seg string) []string {
	out := make([]string, 0, len(path)+1)
	return append(append(out, path...), seg)
}

// structKeys are the YAML keys of a struct type: the field index of each,
// and the keys in field order (for suggestions and required keys).
type structKeys struct {
	field map[string]int
	names []string
}

// keysOf is the keys of struct type t, worked out once per decoder (a
// world of 40,000 VMs holds as many VM mappings).
func (d *decoder) keysOf(t reflect.Type) structKeys {
	if ks, ok := d.keys[t]; ok {
		return ks
	}
	if d.keys == nil {
		d.keys = map[reflect.Type]structKeys{}
	}
	ks := structKeys{field: map[string]int{}}
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		ks.field[tag] = i
		ks.names = append(ks.names, tag)
	}
	d.keys[t] = ks
	return ks
}

// decodeStruct decodes a mapping into the struct v: each key must be one of
// its fields, at most once; required keys must be there; each value is
// checked (checkValue) once it decoded cleanly. A Line field gets the
// mapping's line.
func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path []string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n.Line, "%s: want a mapping (key: value), got %s", at(path), describeAt(n, path))
		return
	}
	if f := v.FieldByName("Line"); f.IsValid() && f.Kind() == reflect.Int {
		f.SetInt(int64(n.Line))
	}
	ks := d.keysOf(v.Type())
	seen := seenKeys{}
	for _, p := range d.pairs(n, false) {
		k := p.key.Value
		if p.key.Kind != yaml.ScalarNode {
			d.errorf(p.key.Line, "keys must be plain names %s", where(path))
			continue
		}
		idx, ok := ks.field[k]
		if !ok {
			d.errorf(p.key.Line, "unknown key %q %s%s", k, where(path), suggest(k, ks.names))
			continue
		}
		if l, dup := seen.add(p); dup {
			d.errorf(p.key.Line, "duplicate key %q %s (first at line %d)", k, where(path), l)
			continue
		}
		d.decodeField(v.Type().Field(idx), v.Field(idx), p.val, appendPath(path, k))
	}
	d.requireKeys(n, v.Type(), ks, seen, path)
}

// decodeField decodes one field's value and checks it: a required field
// may not be null, and a value is checked only when it decoded without
// problems (one message per mistake).
func (d *decoder) decodeField(sf reflect.StructField, fv reflect.Value, val *yaml.Node, path []string) {
	val = resolve(val)
	if isNull(val) && sf.Tag.Get("required") == "true" {
		d.errorf(val.Line, "%s: a value is required", at(path))
		return
	}
	before := len(d.errs)
	d.decodeValue(val, fv, path)
	if len(d.errs) == before && !isNull(val) {
		d.checkValue(sf, fv, val, path)
	}
}

// requireKeys reports each required key of the struct type t that the
// mapping n lacks.
func (d *decoder) requireKeys(n *yaml.Node, t reflect.Type, ks structKeys, seen seenKeys, path []string) {
	for _, name := range ks.names {
		if t.Field(ks.field[name]).Tag.Get("required") != "true" {
			continue
		}
		if _, ok := seen[name]; !ok {
			d.errorf(n.Line, "missing key %q %s", name, where(path))
		}
	}
}

// setDefaults fills the default-tagged fields of a struct, and of the
// structs it holds by value.
func setDefaults(v reflect.Value) {
	if v.Kind() != reflect.Struct {
		return
	}
	t := v.Type()
	for i := range t.NumField() {
		f := v.Field(i)
		if f.Kind() == reflect.Struct {
			setDefaults(f)
			continue
		}
		def, ok := t.Field(i).Tag.Lookup("default")
		if !ok {
			continue
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString(def)
		case reflect.Int:
			n, _ := strconv.Atoi(def)
			f.SetInt(int64(n))
		case reflect.Float64:
			x, _ := strconv.ParseFloat(def, 64)
			f.SetFloat(x)
		case reflect.Bool:
			f.SetBool(def == "true")
		}
	}
}

var (
	nameRE       = regexp.MustCompile(`^[A-Za-z0-9_.()-]+$`)
	k8sVersionRE = regexp.MustCompile(`^\d+\.\d+(\.\d+)?$`)
	serviceTagRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*$`)
)

// checkValue applies the oneof and check tags to a decoded field.
func (d *decoder) checkValue(sf reflect.StructField, v reflect.Value, n *yaml.Node, path []string) {
	if opts, ok := sf.Tag.Lookup("oneof"); ok {
		d.checkOneOf(opts, v, n, path)
	}
	switch check := sf.Tag.Get("check"); check {
	case "":
	case "k8sversions":
		d.checkItems(v, n, path, func(s string) string {
			if !k8sVersionRE.MatchString(s) {
				return fmt.Sprintf("%q is not a Kubernetes version (e.g. \"1.30.14\", or \"1.30\" for every patch)", s)
			}
			return ""
		})
	case "authkeys":
		d.checkItems(v, n, path, func(s string) string {
			if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s)); err != nil {
				return fmt.Sprintf("not an authorized_keys line (e.g. \"ssh-ed25519 AAAA... me@laptop\"): %v", err)
			}
			return ""
		})
	default:
		for _, msg := range valueProblems(check, v) {
			d.errorf(n.Line, "%s: %s", at(path), msg)
		}
	}
}

// checkOneOf matches a text value against the allowed values opts ("A|B"),
// ignoring case, and stores it as opts writes it.
func (d *decoder) checkOneOf(opts string, v reflect.Value, n *yaml.Node, path []string) {
	s := v.String()
	for _, o := range strings.Split(opts, "|") {
		if strings.EqualFold(o, s) {
			v.SetString(o)
			return
		}
	}
	d.errorf(n.Line, "%s: %q is not one of %s", at(path), s, strings.ReplaceAll(opts, "|", ", "))
}

// checkItems checks each text item of the list v, reporting a problem
// (problem's message, "" for none) on the item's own line as name[i].
func (d *decoder) checkItems(v reflect.Value, n *yaml.Node, path []string, problem func(string) string) {
	for i := range v.Len() {
		line := n.Line
		if i < len(n.Content) {
			line = n.Content[i].Line
		}
		if msg := problem(v.Index(i).String()); msg != "" {
			d.errorf(line, "%s[%d]: %s", at(path), i, msg)
		}
	}
}

// valueProblems says what is wrong with a single value under a check tag
// (see the check tags in world.go): nothing, or one message per mistake.
func valueProblems(check string, v reflect.Value) []string {
	one := func(format string, args ...any) []string { return []string{fmt.Sprintf(format, args...)} }
	switch check {
	case "subscription":
		if s := v.String(); s == "" || strings.ContainsAny(s, "/?#% \t") {
			return one("%q is not a subscription ID (e.g. 00000000-0000-0000-0000-000000000001)", s)
		}
	case "name":
		if s := v.String(); !nameRE.MatchString(s) {
			return one("%q is not a valid name (letters, digits, - _ . ( ) only)", s)
		}
	case "time":
		if s := v.String(); s != "" {
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				return one("%q is not an RFC 3339 time (e.g. 2024-05-01T09:30:00Z)", s)
			}
		}
	case "port0":
		if p := v.Int(); p < 0 || p > 65535 {
			return one("%d is not a port (1-65535)", p)
		}
	case "ip":
		if s := v.String(); s != "" && net.ParseIP(s) == nil {
			return one("%q is not an IP address", s)
		}
	case "hostport":
		if s := v.String(); s != "" && !validHostPort(s) {
			return one("%q is not host:port (e.g. 127.0.0.1:2222)", s)
		}
	case "source":
		return sourceProblems(v.String())
	case "ports":
		if _, err := parsePorts(v.String()); err != nil {
			return one("%v", err)
		}
	case "os":
		if f := strings.Fields(v.String()); len(f) != 2 {
			return one("%q: want \"<distro> <version>\", e.g. \"ubuntu 20.04\"", v.String())
		}
	case "k8sversion":
		if s := v.String(); s != "" && !k8sVersionRE.MatchString(s) {
			return one("%q is not a Kubernetes version (e.g. \"1.30.14\")", s)
		}
	case "nonneg":
		if v.Kind() == reflect.Pointer && !v.IsNil() {
			v = v.Elem()
		}
		if (v.Kind() == reflect.Int && v.Int() < 0) || (v.Kind() == reflect.Float64 && v.Float() < 0) {
			return one("must not be negative")
		}
	case "rate":
		if f := v.Float(); f < 0 || f > 1 {
			return one("%v is not a share between 0 and 1 (e.g. 0.2 for one request in five)", f)
		}
	case "positive":
		if v.Int() <= 0 {
			return one("must be at least 1")
		}
	}
	return nil
}

// validHostPort says whether s is host:port with a port from 1 to 65535.
func validHostPort(s string) bool {
	host, port, err := net.SplitHostPort(s)
	pn, perr := strconv.Atoi(port)
	return err == nil && host != "" && perr == nil && pn >= 1 && pn <= 65535
}

// sourceProblems checks an NSG rule's source: one or more service tags,
// "*", IP addresses or CIDRs, separated by commas.
func sourceProblems(s string) []string {
	var out []string
	for _, src := range splitList(s) {
		if !validSource(src) {
			out = append(out, fmt.Sprintf("%q is not a source (a service tag such as AzureMachineLearning or Internet, *, an IP address or a CIDR)", src))
		}
	}
	if len(splitList(s)) == 0 {
		out = append(out, "empty source; use * for any")
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func validSource(s string) bool {
	if s == "*" || serviceTagRE.MatchString(s) {
		return true
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	_, err := netip.ParsePrefix(s)
	return err == nil
}

// portRange is an inclusive destination port range.
type portRange struct{ lo, hi int }

// parsePorts reads "22", "22,2222", "1000-2000" or "*".
func parsePorts(s string) ([]portRange, error) {
	items := splitList(s)
	if len(items) == 0 {
		return nil, errors.New(`empty ports; use "*" for any`)
	}
	var out []portRange
	for _, it := range items {
		if it == "*" {
			out = append(out, portRange{0, 65535})
			continue
		}
		lo, hi, isRange := strings.Cut(it, "-")
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(strings.TrimSpace(hi))
		}
		if err1 != nil || err2 != nil || a < 0 || b > 65535 || a > b {
			return nil, fmt.Errorf("%q is not a port, a range like 1000-2000, or *", it)
		}
		out = append(out, portRange{a, b})
	}
	return out, nil
}

// suggest returns ` (did you mean "x"?)` for the closest known key, if any is close.
func suggest(k string, names []string) string {
	limit := max(2, len(k)/3)
	best, bestD := "", limit+1
	for _, n := range names {
		if strings.EqualFold(n, k) {
			return fmt.Sprintf(" (did you mean %q?)", n)
		}
		if dd := levenshtein(strings.ToLower(k), strings.ToLower(n)); dd < bestD && dd < len(k) {
			best, bestD = n, dd
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
