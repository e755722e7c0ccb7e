package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// form is a submitted (or empty) form: the values to show again and the
// error per field. Password values and one-time codes are never shown
// again (Fields).
type form struct {
	ID     string // the form element's id, for htmx to select
	Action string
	Values map[string]string
	Errors map[string]string
	Notice string  // a message about the whole form (throttled, busy, wrong login)
	inputs []input // the fields, in display order, so the first error gets the focus
	// idPrefix keeps the element ids of a form's inputs unique on a page
	// with two forms that share a field name.
	idPrefix string
	// hints are words shown under an input, by its name: what to type
	// where the label alone cannot say it (a code, or a recovery code).
	hints map[string]string
	// focus gives the first input the focus when no field has an error:
	// for a page that is there only for that input (a code to type).
	focus bool
}

// input describes one field of a form: its name and what the page shows
// for it. Type "textarea" is a multi-line text box.
type input struct {
	Name, Label, Type, Autocomplete string
}

func newForm(id, action string, inputs ...input) *form {
	return &form{ID: id, Action: action, Values: map[string]string{}, Errors: map[string]string{}, inputs: inputs}
}

// set records a field's error (the first one wins).
func (f *form) set(field, msg string) {
	if _, ok := f.Errors[field]; !ok {
		f.Errors[field] = msg
	}
}

// field is what form.html's "fields" template shows for one input:
// everything is worked out here, so the template only reads plain fields
// (a method call with arguments per input, made by reflection, was most of
// the cost of rendering a form).
type field struct {
	ID, Name, Label, Type, Autocomplete, Value, Error, Hint string
	Textarea, Focus                                         bool
}

// Fields are the form's inputs for the "fields" template, in display order.
// Password values are never shown again, nor one-time codes: a recovery
// code is a secret too, and a code typed wrong is no use to see again.
func (f *form) Fields() []field {
	out := make([]field, len(f.inputs))
	focused := false // the first field with an error gets the focus
	for i, in := range f.inputs {
		fl := field{ID: f.idPrefix + in.Name, Name: in.Name, Label: in.Label, Type: in.Type, Autocomplete: in.Autocomplete,
			Hint: f.hints[in.Name], Textarea: in.Type == "textarea"}
		if in.Type != "password" && in.Autocomplete != "one-time-code" {
			fl.Value = f.Values[in.Name]
		}
		var has bool
		fl.Error, has = f.Errors[in.Name]
		if has && !focused {
			focused = true
			fl.Focus = fl.Error != ""
		}
		out[i] = fl
	}
	if f.focus && !focused && len(out) > 0 {
		out[0].Focus = true
	}
	return out
}

// hint gives an input words under it (see form.hints).
func (f *form) hint(name, text string) {
	if f.hints == nil {
		f.hints = map[string]string{}
	}
	f.hints[name] = text
}

// HasErrors reports whether anything needs attention.
func (f *form) HasErrors() bool { return len(f.Errors) > 0 || f.Notice != "" }

// readForm fills a form's inputs, and the fields named in extra that the
// page writes out itself (a checkbox, a hidden "next"), from a POST body
// of at most 1 MiB.
func readForm(w http.ResponseWriter, r *http.Request, f *form, extra ...string) error {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return err
	}
	for _, in := range f.inputs {
		f.Values[in.Name] = r.PostForm.Get(in.Name)
	}
	for _, n := range extra {
		f.Values[n] = r.PostForm.Get(n)
	}
	return nil
}

// badForm answers a form body that could not be read: 413 when it is over
// the 1 MiB limit (DESIGN.md), 400 otherwise.
func badForm(w http.ResponseWriter, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		http.Error(w, "The form is too large: at most 1 MiB.", http.StatusRequestEntityTooLarge)
		return
	}
	http.Error(w, "The form could not be read.", http.StatusBadRequest)
}

// humanWait says how long a throttled visitor waits, in words.
func humanWait(secs float64) string {
	n := int(secs + 0.999)
	if n < 90 {
		return strconv.Itoa(n) + " seconds"
	}
	m := (n + 59) / 60
	return strings.TrimSpace(strconv.Itoa(m) + " minutes")
}
