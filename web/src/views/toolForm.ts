import { h } from '../dom.ts';

/** The part of a JSON Schema property the form understands; anything else is typed as JSON. */
interface PropertySchema {
  type?: string | string[];
  title?: string;
  description?: string;
  enum?: unknown[];
  default?: unknown;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
}

/** A tool's arguments as a form: its fields, and the input they make (or why they make none). */
export interface ToolForm {
  /** The fields, in the schema's order; empty when the tool takes no arguments. */
  fields: HTMLElement[];
  /** The input to send: blank optional fields are left out. Throws an Error worded for the person. */
  read(): Record<string, unknown>;
}

/** Names of a string argument that takes a text to work on: prefilled with the draft. */
const TEXT_LIKE = ['text', 'content', 'body', 'code', 'message'];
/** A string argument longer than this gets a textarea. */
const LONG_STRING = 200;

let formCount = 0;

/**
 * Builds the fields of a tool's input JSON Schema: a string is a text box (a textarea when it may be
 * long or is the text the tool works on), a number a number box, a boolean a checkbox, an enum a
 * select, and anything else a JSON textarea. Required fields are marked and required. The first
 * text-like string field starts with `draft`.
 */
export function toolForm(inputSchema: Record<string, unknown>, draft: string): ToolForm {
  const properties = (inputSchema.properties ?? {}) as Record<string, PropertySchema>;
  const required = new Set(Array.isArray(inputSchema.required) ? (inputSchema.required as string[]) : []);
  const prefilled = Object.keys(properties).find((name) => TEXT_LIKE.includes(name) && kindOf(properties[name]!) === 'string');
  const prefix = `tool-field-${++formCount}`;
  const readers: Array<(input: Record<string, unknown>) => void> = [];

  const fields = Object.entries(properties).map(([name, schema], index) => {
    const id = `${prefix}-${index}`;
    const isRequired = required.has(name);
    const label = schema.title ?? name;
    const hint = schema.description ? h('span', { class: 'hint', id: `${id}-hint` }, schema.description) : undefined;
    const common = { id, name, required: isRequired, 'aria-describedby': hint ? `${id}-hint` : undefined };
    const kind = kindOf(schema);

    if (kind === 'boolean') {
      const box = h('input', { ...common, type: 'checkbox', required: false, checked: schema.default === true });
      readers.push((input) => void (input[name] = box.checked));
      return h('div', { class: 'tool-field checkbox' }, h('label', { for: id }, box, ` ${label}`), hint);
    }
    let control: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
    if (kind === 'enum') {
      const blank = isRequired ? [] : [h('option', { value: '' }, '—')];
      control = h('select', common, ...blank, ...schema.enum!.map((value) => h('option', { value: JSON.stringify(value) }, String(value))));
      if (schema.default !== undefined) control.value = JSON.stringify(schema.default);
    } else if (kind === 'number' || kind === 'integer') {
      control = h('input', { ...common, type: 'number', step: kind === 'integer' ? '1' : 'any', min: schema.minimum, max: schema.maximum });
    } else if (kind === 'string' && !(name === prefilled || (schema.maxLength ?? 0) > LONG_STRING)) {
      control = h('input', { ...common, type: 'text', maxLength: schema.maxLength });
    } else {
      control = h('textarea', { ...common, rows: 4, maxLength: kind === 'string' ? schema.maxLength : undefined });
      if (kind === 'json') control.placeholder = 'JSON';
    }
    if (name === prefilled) control.value = draft;
    else if (schema.default !== undefined && kind !== 'enum')
      control.value = typeof schema.default === 'string' && kind === 'string' ? schema.default : JSON.stringify(schema.default);
    readers.push((input) => readInto(input, name, label, kind, control.value));
    // The hint stays out of the label: it is the field's description (aria-describedby), not its name.
    return h(
      'div',
      { class: 'tool-field' },
      h('label', { for: id }, label, isRequired && h('span', { class: 'required', 'aria-hidden': 'true', title: 'Required' }, ' *')),
      control,
      hint,
    );
  });

  return {
    fields,
    read() {
      const input: Record<string, unknown> = {};
      for (const reader of readers) reader(input);
      return input;
    },
  };
}

type FieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'json';

function kindOf(schema: PropertySchema): FieldKind {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return 'enum';
  const type = Array.isArray(schema.type) ? schema.type.find((candidate) => candidate !== 'null') : schema.type;
  return type === 'string' || type === 'number' || type === 'integer' || type === 'boolean' ? type : 'json';
}

/** Puts one field's value in the input; a blank field is left out (the server says so if it was needed). */
function readInto(input: Record<string, unknown>, name: string, label: string, kind: FieldKind, value: string): void {
  if (value === '') return;
  if (kind === 'string') input[name] = value;
  else if (kind === 'number' || kind === 'integer') input[name] = Number(value);
  else {
    try {
      input[name] = JSON.parse(value) as unknown;
    } catch {
      throw new Error(`${label}: not valid JSON`);
    }
  }
}
