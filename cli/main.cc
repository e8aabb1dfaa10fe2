// Placeholder until the verbs land.
int main() { return 0; }
