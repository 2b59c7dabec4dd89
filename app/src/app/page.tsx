import { Overview } from "@/components/overview/Overview";

export default function Page() {
  return <Overview />;
}
