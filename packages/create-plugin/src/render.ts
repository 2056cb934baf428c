/** Templates: text with `<%= key %>` placeholders (the subset of EJS the Nx generators use); an unknown key is an error. */
export function render(template: string, values: Record<string, string>, where: string): string {
  return template.replace(/<%=\s*([A-Za-z]\w*)\s*%>/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`${where}: no value for <%= ${key} %>`);
    return value;
  });
}
