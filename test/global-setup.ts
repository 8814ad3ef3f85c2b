export default async function setup() {
  return async () => {}
}
