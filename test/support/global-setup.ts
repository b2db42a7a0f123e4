// Global setup shared by the test suites. Later parts (PostgreSQL) hook in here.
export default async function setup(): Promise<void> {}
