package synth

import (
	"fmt"
	"strings"
	"sync"
)

// A small template language for sentences, so that each step of a story can
// be written many ways:
//
//	{h} dropped {o} on the floor (and|, and) it broke.
//
// {ROLE} and {ROLE.FIELD} name the story's roles (h hero, f friend, m
// grown-up helper, o the object, x a second object, p the place, s a spot,
// b a body part, v the required verb, a a required adjective, k an animal,
// w the weather word); (a|b|c) picks one alternative at random and may nest
// and hold roles; {@} is the feeling word of the last emotion. The sentence's
// first letter is capitalized when it is written. (x|) is x or nothing. Role fields are listed
// with the render functions in text.go.

type pieceKind uint8

const (
	pLit pieceKind = iota
	pRole
	pAlt
)

type piece struct {
	kind  pieceKind
	lit   string
	role  byte   // role letter
	field string // field name, "" for the role's default
	alts  []tmpl // alternatives of pAlt
}

type tmpl []piece

// tmplCache holds compiled templates by their source text; sync.Map
// because the generator's workers share it and, once warm, only read it.
var tmplCache sync.Map

// compile returns the compiled template for s, compiling it on first use.
// A malformed template is a bug in this package: compile panics with the
// template's text (every template is exercised by the package's tests).
func compile(s string) tmpl {
	if t, ok := tmplCache.Load(s); ok {
		return t.(tmpl)
	}
	t, err := parseTmpl(s)
	if err != nil {
		panic(fmt.Sprintf("synth: bad template %q: %v", s, err))
	}
	tmplCache.Store(s, t)
	return t
}

func parseTmpl(s string) (tmpl, error) {
	p := tparser{s: s}
	t, err := p.seq()
	if err != nil {
		return nil, err
	}
	if p.i < len(s) {
		return nil, fmt.Errorf("unexpected %q at %d", s[p.i], p.i)
	}
	return t, nil
}

type tparser struct {
	s string
	i int
}

func (p *tparser) seq() (tmpl, error) {
	var t tmpl
	for p.i < len(p.s) {
		switch c := p.s[p.i]; c {
		case '|', ')':
			return t, nil
		case '{':
			end := strings.IndexByte(p.s[p.i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("unclosed { at %d", p.i)
			}
			name := p.s[p.i+1 : p.i+end]
			p.i += end + 1
			role, field, _ := strings.Cut(name, ".")
			if len(role) != 1 {
				return nil, fmt.Errorf("role %q is not one letter", role)
			}
			t = append(t, piece{kind: pRole, role: role[0], field: field})
		case '(':
			p.i++
			var alts []tmpl
			for {
				a, err := p.seq()
				if err != nil {
					return nil, err
				}
				alts = append(alts, a)
				if p.i >= len(p.s) {
					return nil, fmt.Errorf("unclosed (")
				}
				if p.s[p.i] == ')' {
					p.i++
					break
				}
				p.i++ // '|'
			}
			t = append(t, piece{kind: pAlt, alts: alts})
		default:
			j := p.i
			for j < len(p.s) && !strings.ContainsRune("{}()|", rune(p.s[j])) {
				j++
			}
			if j == p.i {
				return nil, fmt.Errorf("unexpected %q at %d", c, p.i)
			}
			t = append(t, piece{kind: pLit, lit: p.s[p.i:j]})
			p.i = j
		}
	}
	return t, nil
}
